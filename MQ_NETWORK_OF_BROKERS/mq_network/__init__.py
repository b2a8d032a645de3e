"""Decision, facts and AWS access for the MQ_NETWORK_OF_BROKERS AWS Config rule.

Kept free of rdklib so that the same decision serves the Lambda and the command-line tools.
"""
