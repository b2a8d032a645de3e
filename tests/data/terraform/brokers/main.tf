# Brokers written as people write them in Terraform (shapes: see tests/data/templates/README.md).

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "standby_region"
  region = "eu-central-1"
}

# engine written in capitals with a trailing comment; deployment_mode left to its default
resource "aws_mq_broker" "queue" {
  broker_name = "ordersqueue"
  #  auto_minor_version_upgrade = true
  #
  #  configuration {
  #    id       = aws_mq_configuration.queue.id
  #    revision = aws_mq_configuration.queue.latest_revision
  #  }
  #
  engine_type        = "ACTIVEMQ" //RABBITMQ
  engine_version     = "5.17.6"
  host_instance_type = "mq.t3.micro"
  #  deployment_mode     = var.mq_broker["deployment_mode"]
  #  publicly_accessible = var.mq_broker["publicly_accessible"]
  #
  user {
    username = "orders"
    password = "not-a-real-password"
  }
  #
  #  logs {
  #    general = true
  #    audit   = true
  #  }
  tags = { name = "orders" }
}

# a mesh member: SINGLE_INSTANCE by the provider's default, a password from another resource
resource "aws_mq_broker" "member" {
  broker_name         = "orders-Broker-1"
  engine_type         = "ActiveMQ"
  engine_version      = "5.17.6"
  host_instance_type  = "mq.t3.micro"
  publicly_accessible = false

  user {
    username = "root"
    password = random_password.member.result
  }
}

resource "random_password" "member" {
  length           = 16
  special          = true
  override_special = "!#$%*()-_=+[]{}:?"
}

# an aliased provider, active/standby
resource "aws_mq_broker" "standby" {
  provider                   = aws.standby_region
  apply_immediately          = true
  broker_name                = "orders-Broker-2"
  engine_type                = "ActiveMQ"
  engine_version             = "5.17.6"
  host_instance_type         = "mq.m5.large"
  deployment_mode            = "ACTIVE_STANDBY_MULTI_AZ"
  auto_minor_version_upgrade = false

  user {
    username = "example_user"
    password = "not-a-real-password"
  }
}

# a named member in a mode the rule does not allow
resource "aws_mq_broker" "cluster" {
  broker_name        = "orders-Broker-3"
  engine_type        = "ActiveMQ"
  engine_version     = "5.17.6"
  host_instance_type = "mq.m5.large"
  deployment_mode    = "CLUSTER_MULTI_AZ"

  user {
    username = "orders"
    password = "not-a-real-password"
  }
}

resource "aws_mq_broker" "rabbit" {
  broker_name        = "events"
  engine_type        = "RabbitMQ"
  engine_version     = "3.13"
  host_instance_type = "mq.m5.large"
  deployment_mode    = "CLUSTER_MULTI_AZ"

  user {
    username = "events"
    password = "not-a-real-password"
  }
}
