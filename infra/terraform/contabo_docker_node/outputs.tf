output "provider" {
  description = "Which host stack produced these outputs: \"contabo\"."
  value       = "contabo"
}

output "public_ipv4" {
  description = "Public IPv4 address of the instance."
  value       = contabo_instance.node.ip_config[0].v4[0].ip
}

output "public_ipv6" {
  description = "Public IPv6 address of the instance (null when none is assigned)."
  value       = try(contabo_instance.node.ip_config[0].v6[0].ip, null)
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
  description = "SHA256 fingerprint of the instance's ed25519 host key, pinned before the first connection."
  value       = var.host_key_fingerprint
}

output "docker_host" {
  description = "Docker endpoint for the APP phase: ssh://<ssh_user>@<public_ipv4>:22."
  value       = "ssh://${var.ssh_user}@${contabo_instance.node.ip_config[0].v4[0].ip}:22"
}

output "instance_id" {
  description = "Contabo instance ID (destroying it cancels the contract)."
  value       = contabo_instance.node.id
}

output "ssh_key_secret_id" {
  description = "Contabo secret ID of the operator key."
  value       = contabo_secret.operator.id
}

output "instance_status" {
  description = "Instance status reported by the API."
  value       = contabo_instance.node.status
}
