locals {
  mesh   = "orders"
  member = 4
  mode   = "ACTIVE_STANDBY_MULTI_AZ"
}
