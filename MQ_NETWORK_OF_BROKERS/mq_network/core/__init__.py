"""The rule's core: standard library only, no AWS call, no rdklib.

What a broker is (facts), what the rule is asked (parameters), how ActiveMQ reads a configuration
and its connector URIs, the network graph, and the verdict, after deployment (decision) and
before it (predeploy). Every surface (the Lambda, the hook, the tools) judges through these.
"""
