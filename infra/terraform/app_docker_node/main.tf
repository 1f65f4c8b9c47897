# APP phase: the container on an existing Docker host. Every provider argument is a variable, so it is known
# at plan time; for cloud providers the CLI applies this only after the HOST phase and a readiness wait.
provider "docker" {
  host          = var.docker_host
  ssh_opts      = var.ssh_opts
  ca_material   = var.docker_tls == null ? null : var.docker_tls.ca_material
  cert_material = var.docker_tls == null ? null : var.docker_tls.cert_material
  key_material  = var.docker_tls == null ? null : var.docker_tls.key_material
}

module "docker_node" {
  source = "../modules/docker_node"

  app_name       = var.app_name
  app_image      = var.app_image
  docker_host    = var.docker_host
  env            = var.app_env
  app_ports      = var.app_ports
  labels         = var.labels
  restart_policy = var.restart_policy
  healthcheck    = var.healthcheck
  command        = var.command
  pull_policy    = var.pull_policy
}
