output "container_id" {
  description = "ID of the debug-server container."
  value       = module.docker_node.container_id
}

output "container_name" {
  description = "Name of the debug-server container."
  value       = module.docker_node.container_name
}

output "image_id" {
  description = "ID of the image the container runs."
  value       = module.docker_node.image_id
}

output "docker_host" {
  description = "The Docker endpoint used."
  value       = module.docker_node.effective_docker_host
}

output "published_ports" {
  description = "Published ports: list of { internal, external, ip, protocol }."
  value       = module.docker_node.published_ports
}

output "endpoint_urls" {
  description = "URL of each published port on the Docker host, keyed \"<internal>/<protocol>\"; the CLI tunnels to these."
  value       = module.docker_node.endpoint_urls
}
