"""mq-network-plan and the SSM Automation remediation: the mesh that replaces a broker.

mesh_plan.py decides the mesh (members, settings, tags, configurations) from the source broker;
plan.py (mq-network-plan) prints that plan as CloudFormation or AWS CLI commands; mesh.py is the
SSM Automation step that builds it, embedded in template.yaml with mesh_plan.py
(scripts/embed_mesh_script.py).
"""
