# Runs a small web server on the local Docker daemon, published on loopback only.
provider "docker" {
  host = "unix:///var/run/docker.sock"
}

module "docker_node" {
  source = "../../"

  app_name    = "debug-server-example"
  app_image   = "nginx:1.27-alpine"
  docker_host = "unix:///var/run/docker.sock"
  app_ports   = [{ internal = 80, external = 8080 }]
  labels      = { "example" = "basic" }
}

output "endpoint_urls" {
  description = "Where the example app answers on this machine."
  value       = module.docker_node.endpoint_urls
}
