output "provider" {
  description = "Which host stack produced these outputs: \"hetzner\"."
  value       = "hetzner"
}

output "public_ipv4" {
  description = "Public IPv4 address of the server."
  value       = hcloud_server.node.ipv4_address
}

output "public_ipv6" {
  description = "First public IPv6 address of the server."
  value       = hcloud_server.node.ipv6_address
}

output "ssh_user" {
  description = "Non-root login user (member of the docker group)."
  value       = var.ssh_user
}

output "ssh_port" {
  description = "SSH port."
  value       = 22
}

output "host_key_fingerprint" {
  description = "SHA256 fingerprint of the server's ed25519 host key, pinned before the first connection."
  value       = var.host_key_fingerprint
}

output "docker_host" {
  description = "Docker endpoint for the APP phase: ssh://<ssh_user>@<public_ipv4>:22."
  value       = "ssh://${var.ssh_user}@${hcloud_server.node.ipv4_address}:22"
}

output "server_id" {
  description = "Hetzner server ID."
  value       = hcloud_server.node.id
}

output "firewall_id" {
  description = "Hetzner firewall ID."
  value       = hcloud_firewall.node.id
}

output "ssh_key_id" {
  description = "Hetzner SSH key ID of the operator key."
  value       = hcloud_ssh_key.operator.id
}

output "server_status" {
  description = "Server status reported by the API (running once booted; cloud-init may still be working)."
  value       = hcloud_server.node.status
}
