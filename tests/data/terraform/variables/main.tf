provider aws {
  region = "us-east-2"
}


resource "aws_mq_broker" "mq" {
//  count = var.mq_cluster_instance_count
  broker_name = "mq"
  engine_type        = var.engine_type
  engine_version     = var.engine_version
  host_instance_type = var.host_instance_type
  //  security_groups    = [aws_security_group.test.id]
  deployment_mode     = var.deployment_mode
  publicly_accessible = var.publicly_accessible

  user {
    username = var.username
    password = var.password
  }
}

# a name from a local built from literals, and one from a variable
resource "aws_mq_broker" "member" {
  broker_name        = "${local.mesh}-Broker-${local.member}"
  engine_type        = "ActiveMQ"
  engine_version     = var.engine_version
  host_instance_type = var.host_instance_type
  deployment_mode    = local.mode

  user {
    username = var.username
    password = var.password
  }
}

resource "aws_mq_broker" "named" {
  broker_name        = "${var.mesh}-Broker-1"
  engine_type        = "ActiveMQ"
  engine_version     = var.engine_version
  host_instance_type = var.host_instance_type

  user {
    username = var.username
    password = var.password
  }
}

resource "aws_mq_broker" "per_instance" {
  count              = 2
  broker_name        = "orders-Broker-${count.index + 1}"
  engine_type        = "ActiveMQ"
  engine_version     = var.engine_version
  host_instance_type = var.host_instance_type

  user {
    username = var.username
    password = var.password
  }
}

module "awsmq" {
  source  = "cloudposse/mq-broker/aws"
  version = "3.1.0"
  name = var.broker_name
  apply_immediately = true
  deployment_mode = var.deployment_mode
  engine_type = var.engine_type
  engine_version = var.engine_version
  host_instance_type = var.host_instance_type
  publicly_accessible = false
  vpc_id = var.vpc_id
  subnet_ids = var.subnet_ids
}
