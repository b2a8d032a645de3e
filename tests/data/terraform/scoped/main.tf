provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = {
      env   = "prod"
      owner = "platform"
    }
  }
}

# in scope through the provider's default_tags alone
resource "aws_mq_broker" "legacy" {
  broker_name        = "legacy"
  engine_type        = "ActiveMQ"
  engine_version     = "5.17.6"
  host_instance_type = "mq.t3.micro"

  user {
    username = "legacy"
    password = "not-a-real-password"
  }
}

# its own tag overrides the default one
resource "aws_mq_broker" "sandbox" {
  broker_name        = "sandbox"
  engine_type        = "ActiveMQ"
  engine_version     = "5.17.6"
  host_instance_type = "mq.t3.micro"

  user {
    username = "sandbox"
    password = "not-a-real-password"
  }

  tags = {
    "env" = "dev"
  }
}

# the scope tag from a variable
resource "aws_mq_broker" "tagged" {
  broker_name        = "tagged"
  engine_type        = "ActiveMQ"
  engine_version     = "5.17.6"
  host_instance_type = "mq.t3.micro"

  user {
    username = "tagged"
    password = "not-a-real-password"
  }

  tags = merge(var.common_tags, { Name = "tagged" })
}

variable "common_tags" {
  type = map(string)
}
