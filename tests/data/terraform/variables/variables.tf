variable "engine_type" {
  description = "The type of broker engine"
  default     = "ActiveMQ"
}

variable "engine_version" {
  default = "5.17.6"
}

variable "host_instance_type" {
  default = "mq.t3.micro"
}

variable "deployment_mode" {
  description = "SINGLE_INSTANCE or ACTIVE_STANDBY_MULTI_AZ"
  default     = "SINGLE_INSTANCE"
}

variable "publicly_accessible" {
  default = false
}

variable "username" {
  description = "The username for the broker"
  default     = "admin"
}

variable "password" {
  description = "The password for the broker"
  sensitive   = true
}

variable "mesh" {
  default = "orders"
}

variable "broker_name" {}
variable "vpc_id" {}
variable "subnet_ids" {
  type = list(string)
}
