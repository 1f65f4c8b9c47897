locals {
  managed_labels = merge(var.labels, {
    "debug-cloud.managed" = "true"
    "debug-cloud.app"     = var.app_name
  })

  ports = [for p in var.app_ports : {
    internal = p.internal
    external = coalesce(p.external, p.internal)
    ip       = p.ip
    protocol = p.protocol
  }]

  # The host part of docker_host; a unix socket means this machine.
  docker_host_address = startswith(var.docker_host, "unix://") ? "127.0.0.1" : regex("^[a-z]+://(?:[^@/]+@)?(\\[[^]]+\\]|[^:/]+)", var.docker_host)[0]

  image_id = var.pull_policy == "never" ? data.docker_image.present[0].id : docker_image.pulled[0].image_id
}

data "docker_registry_image" "latest" {
  count = var.pull_policy == "always" ? 1 : 0
  name  = var.app_image
}

resource "docker_image" "pulled" {
  count         = var.pull_policy == "never" ? 0 : 1
  name          = var.app_image
  keep_locally  = var.keep_image_locally
  pull_triggers = var.pull_policy == "always" ? [data.docker_registry_image.latest[0].sha256_digest] : null
}

data "docker_image" "present" {
  count = var.pull_policy == "never" ? 1 : 0
  name  = var.app_image
}

resource "docker_container" "app" {
  name     = var.app_name
  image    = local.image_id
  env      = [for name, value in var.env : "${name}=${value}"]
  command  = var.command
  restart  = var.restart_policy
  must_run = true

  wait         = var.healthcheck != null
  wait_timeout = var.healthcheck == null ? 60 : var.healthcheck.wait_timeout

  dynamic "ports" {
    for_each = local.ports
    content {
      internal = ports.value.internal
      external = ports.value.external
      ip       = ports.value.ip
      protocol = ports.value.protocol
    }
  }

  dynamic "labels" {
    for_each = local.managed_labels
    content {
      label = labels.key
      value = labels.value
    }
  }

  dynamic "healthcheck" {
    for_each = var.healthcheck == null ? [] : [var.healthcheck]
    content {
      test         = healthcheck.value.test
      interval     = healthcheck.value.interval
      timeout      = healthcheck.value.timeout
      start_period = healthcheck.value.start_period
      retries      = healthcheck.value.retries
    }
  }
}
