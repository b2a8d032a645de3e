"""rdk's unit test for the rule (`rdk test-local MQ_NETWORK_OF_BROKERS`); the full suite is tests/.

Runs the real handler on moto's emulated Amazon MQ, with rdklibtest's event builders.
"""

import os
import unittest

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
)

import boto3
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from rdklibtest import (
    assert_customer_error_response,
    create_test_configurationchange_event,
    create_test_scheduled_event,
)

import MQ_NETWORK_OF_BROKERS as RULE
from mq_network.aws import aws_calls

RESOURCE_TYPE = "AWS::AmazonMQ::Broker"


def no_earlier_results(**_kwargs):
    """moto lacks GetComplianceDetailsByConfigRule: AWS Config holds no earlier result here."""
    return AWSResponse("https://emulated.invalid/", 200, {}, None), {"EvaluationResults": []}


def item(broker_id, name, mode="SINGLE_INSTANCE", engine="ACTIVEMQ", status="OK"):
    return {
        "configurationItemCaptureTime": "2026-11-28T12:00:00.000Z",
        "configurationItemStatus": status,
        "resourceType": RESOURCE_TYPE,
        "resourceId": broker_id,
        "resourceName": name,
        "tags": {},
        "configuration": {"BrokerName": name, "DeploymentMode": mode, "EngineType": engine},
    }


def change_event(configuration_item, parameters=None):
    event = create_test_configurationchange_event(
        {"messageType": "ConfigurationItemChangeNotification", "configurationItem": configuration_item},
        parameters,
    )
    event["resultToken"] = "TESTMODE"  # moto records evaluations only in test mode
    return event


class ScheduledTest(unittest.TestCase):
    def setUp(self):
        self.aws = mock_aws()
        self.aws.start()
        self.session = aws_calls.rule_session()
        self.session.events.register("before-call.config-service.GetComplianceDetailsByConfigRule", no_earlier_results)
        self.mq = boto3.client("mq")

    def tearDown(self):
        self.session.events.unregister(
            "before-call.config-service.GetComplianceDetailsByConfigRule", no_earlier_results
        )
        self.aws.stop()

    def create(self, name, mode="SINGLE_INSTANCE", engine="ACTIVEMQ"):
        return self.mq.create_broker(
            BrokerName=name,
            DeploymentMode=mode,
            EngineType=engine,
            EngineVersion="5.18",
            HostInstanceType="mq.m5.large",
            PubliclyAccessible=False,
            AutoMinorVersionUpgrade=True,
            Users=[{"Username": "admin", "Password": "not-a-real-password-1"}],
        )["BrokerId"]

    def test_each_broker_gets_one_verdict(self):
        member = self.create("orders-Broker-1")
        lonely = self.create("cc-project5-broker")
        rabbit = self.create("events", "CLUSTER_MULTI_AZ", "RABBITMQ")
        event = create_test_scheduled_event()
        event["resultToken"] = "TESTMODE"
        response = RULE.lambda_handler(event, {})
        verdicts = {e["ComplianceResourceId"]: e["ComplianceType"] for e in response}
        self.assertEqual(verdicts, {member: "COMPLIANT", lonely: "NON_COMPLIANT", rabbit: "NOT_APPLICABLE"})
        for evaluation in response:
            self.assertEqual(evaluation["ComplianceResourceType"], RESOURCE_TYPE)

    def test_invalid_parameter_is_a_customer_error(self):
        event = create_test_scheduled_event({"AllowedDeploymentModes": "MESH"})
        response = RULE.lambda_handler(event, {})
        assert_customer_error_response(self, response, "InvalidParameterValueException")
        self.assertIn("AllowedDeploymentModes", response["customerErrorMessage"])


class ChangeTest(unittest.TestCase):
    def setUp(self):
        self.aws = mock_aws()
        self.aws.start()

    def tearDown(self):
        self.aws.stop()

    def verdict(self, configuration_item, parameters=None):
        [evaluation] = RULE.lambda_handler(change_event(configuration_item, parameters), {})
        self.assertEqual(evaluation["ComplianceResourceId"], configuration_item["resourceId"])
        return evaluation["ComplianceType"], evaluation["Annotation"]

    def test_member_name_and_mode_is_compliant(self):
        self.assertEqual(self.verdict(item("b-1", "orders-Broker-2"))[0], "COMPLIANT")

    def test_lonely_broker_is_non_compliant_and_told_what_to_do(self):
        compliance, annotation = self.verdict(item("b-2", "cc-project5-broker"))
        self.assertEqual(compliance, "NON_COMPLIANT")
        self.assertIn("cc-project5-broker-Broker-1..n", annotation)

    def test_cluster_mode_is_non_compliant(self):
        self.assertEqual(self.verdict(item("b-3", "x-Broker-1", "CLUSTER_MULTI_AZ"))[0], "NON_COMPLIANT")

    def test_rabbitmq_is_not_applicable(self):
        self.assertEqual(self.verdict(item("b-4", "events", "CLUSTER_MULTI_AZ", "RabbitMQ"))[0], "NOT_APPLICABLE")

    def test_deleted_broker_is_not_applicable(self):
        self.assertEqual(self.verdict(item("b-5", "gone", status="ResourceDeleted"))[0], "NOT_APPLICABLE")

    def test_custom_pattern(self):
        self.assertEqual(self.verdict(item("b-6", "NoB1"), {"BrokerNamePattern": "NoB[0-9]+"})[0], "COMPLIANT")


if __name__ == "__main__":
    unittest.main()
