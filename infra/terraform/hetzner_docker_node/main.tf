# HOST phase for Hetzner Cloud: SSH key, firewall and an x86 server whose cloud-init installs Docker.
# The container is deployed by the APP phase (../app_docker_node) once the host answers over SSH.
provider "hcloud" {
  token = var.hcloud_token
}

locals {
  labels = merge(var.labels, { "managed-by" = "debug-cloud" })
}

resource "hcloud_ssh_key" "operator" {
  name       = "${var.name}-operator"
  public_key = var.operator_ssh_public_key
  labels     = local.labels
}

resource "hcloud_firewall" "node" {
  name   = "${var.name}-firewall"
  labels = local.labels

  rule {
    description = "SSH (the Docker API and the app are reached through SSH tunnels)"
    direction   = "in"
    protocol    = "tcp"
    port        = "22"
    source_ips  = var.ssh_source_ranges
  }

  dynamic "rule" {
    for_each = var.app_firewall_ports
    content {
      description = "app port ${rule.value.port}/${rule.value.protocol}"
      direction   = "in"
      protocol    = rule.value.protocol
      port        = tostring(rule.value.port)
      source_ips  = rule.value.source_ranges
    }
  }

  dynamic "rule" {
    for_each = length(var.docker_tls_source_ranges) == 0 ? [] : [var.docker_tls_source_ranges]
    content {
      description = "Docker API, mutual TLS only"
      direction   = "in"
      protocol    = "tcp"
      port        = "2376"
      source_ips  = rule.value
    }
  }
}

resource "hcloud_server" "node" {
  name         = var.name
  server_type  = var.server_type
  image        = var.image
  location     = var.location
  ssh_keys     = [hcloud_ssh_key.operator.id]
  firewall_ids = [hcloud_firewall.node.id]
  user_data    = var.user_data
  labels       = local.labels

  public_net {
    ipv4_enabled = true
    ipv6_enabled = true
  }
}
