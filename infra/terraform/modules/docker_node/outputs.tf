output "container_id" {
  description = "ID of the running container."
  value       = docker_container.app.id
}

output "container_name" {
  description = "Name of the container (equals app_name)."
  value       = docker_container.app.name
}

output "image_id" {
  description = "ID (sha256:…) of the image the container runs."
  value       = local.image_id
}

output "effective_docker_host" {
  description = "The Docker endpoint the container was deployed through."
  value       = var.docker_host
}

output "published_ports" {
  description = "Published ports with defaults filled in: list of { internal, external, ip, protocol }. ip is the bind address on the Docker host."
  value       = local.ports
}

output "endpoint_urls" {
  description = "URL of each published port as seen from the Docker host, keyed \"<internal>/<protocol>\" (for example \"8080/tcp\" = \"http://127.0.0.1:8080\"). Loopback-bound ports are reached through an SSH tunnel to that address."
  value = {
    for p in local.ports : "${p.internal}/${p.protocol}" => format(
      "%s://%s:%d",
      p.protocol == "tcp" ? "http" : p.protocol,
      contains(["0.0.0.0", "::"], p.ip) ? local.docker_host_address : (strcontains(p.ip, ":") ? "[${p.ip}]" : p.ip),
      p.external,
    )
  }
}
