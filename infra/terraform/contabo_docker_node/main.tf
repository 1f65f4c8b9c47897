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
    # Contabo plans a change of these as an in-place "update" but wipes and reinstalls the VM. Ignore them;
    # to really reinstall, destroy (cancels the contract) and re-create, or use `tofu apply -replace`.
    ignore_changes = [user_data, ssh_keys, image_id]
  }
}
