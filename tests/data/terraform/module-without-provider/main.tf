# A module's folder: the provider (and its default_tags) comes from the caller.
resource "aws_mq_broker" "this" {
  broker_name        = "reporting"
  engine_type        = "ActiveMQ"
  engine_version     = "5.17.6"
  host_instance_type = "mq.t3.micro"

  user {
    username = "reporting"
    password = "not-a-real-password"
  }

  tags = {
    Name = "reporting"
  }
}
