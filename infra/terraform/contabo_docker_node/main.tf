# HOST phase for Contabo: an SSH key secret and an x86 VPS whose cloud-init installs Docker and an nftables
# host firewall (Contabo has no cloud firewall). The container is deployed by the APP phase (../app_docker_node).
provider "contabo" {
  oauth2_client_id     = var.contabo_credentials.client_id
  oauth2_client_secret = var.contabo_credentials.client_secret
  oauth2_user          = var.contabo_credentials.user
  oauth2_pass          = var.contabo_credentials.password
}

resource "contabo_secret" "operator" {
  name  = "${var.name}-operator"
  type  = "ssh"
  value = var.operator_ssh_public_key
}

resource "contabo_instance" "node" {
  display_name = var.name
  product_id   = var.product_id
  region       = var.region
  image_id     = var.image_id
  period       = var.period
  default_user = "admin"
  ssh_keys     = [contabo_secret.operator.id]
  user_data    = var.user_data

  lifecycle {
    # Contabo plans a change of these as an in-place "update" but wipes and reinstalls the VM. ssh_keys and
    # image_id are ignored; a user_data change is NOT, so the reinstall shows in the plan, where the launcher
    # flags it DESTRUCTIVE REINSTALL at the gate (the launcher reuses the host key, so re-runs render the same
    # user data). To rebuild on purpose: destroy (cancels the contract) and up again.
    ignore_changes = [ssh_keys, image_id]

    # The provider waits only while the instance is provisioning or installing; one that ended in "error"
    # has no address, and the readiness wait would wait for nothing. Say so here, in Contabo's words.
    postcondition {
      condition     = self.status == "running"
      error_message = "Contabo reports the instance as \"${self.status}\", not running: ${self.error_message}. Run cloud:destroy to cancel it (then cloud:up again), or ask Contabo's support."
    }
  }
}
