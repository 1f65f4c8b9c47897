variable "docker_host" {
  type        = string
  description = "Docker endpoint: unix:///var/run/docker.sock (this machine), ssh://deploy@host:22 (host key pinned through ssh_opts) or tcp://host:2376 (mutual TLS, docker_tls required)."
  default     = "unix:///var/run/docker.sock"

  validation {
    condition     = can(regex("^(ssh|tcp|unix)://", var.docker_host))
    error_message = "docker_host must start with one of: ssh://, tcp://, unix://."
  }

  validation {
    condition     = !startswith(var.docker_host, "tcp://") || var.docker_tls != null
    error_message = "docker_host tcp:// needs docker_tls (ca_material, cert_material, key_material): the Docker API is never used over TCP without mutual TLS. Use ssh:// instead, or pass TF_VAR_docker_tls."
  }

  validation {
    condition = !startswith(var.docker_host, "ssh://") || (
      contains(var.ssh_opts, "StrictHostKeyChecking=yes") && anytrue([for o in var.ssh_opts : startswith(o, "UserKnownHostsFile=")])
    )
    error_message = "docker_host ssh:// needs ssh_opts pinning the host key: [\"-o\", \"StrictHostKeyChecking=yes\", \"-o\", \"UserKnownHostsFile=/path/known_hosts\", ...]."
  }
}

variable "ssh_opts" {
  type        = list(string)
  description = "Extra ssh arguments for ssh:// hosts, for example [\"-o\", \"StrictHostKeyChecking=yes\", \"-o\", \"UserKnownHostsFile=/path/known_hosts\", \"-i\", \"/path/key\", \"-o\", \"IdentitiesOnly=yes\", \"-o\", \"BatchMode=yes\"]."
  default     = []
  nullable    = false
}

variable "docker_tls" {
  type = object({
    ca_material   = string
    cert_material = string
    key_material  = string
  })
  description = "PEM client material for tcp:// hosts (mutual TLS): the CA that signed the daemon's certificate, the client certificate and its key. Sensitive: pass it as TF_VAR_docker_tls."
  default     = null
  sensitive   = true

  validation {
    condition = var.docker_tls == null ? true : alltrue([
      for pem in [var.docker_tls.ca_material, var.docker_tls.cert_material, var.docker_tls.key_material] : startswith(trimspace(pem), "-----BEGIN ")
    ])
    error_message = "docker_tls: ca_material, cert_material and key_material must all be PEM text (-----BEGIN ...)."
  }
}

variable "app_name" {
  type        = string
  description = "Container name; see modules/docker_node."
  default     = "debug-server"
}

variable "app_image" {
  type        = string
  description = "Image of the debug server; see modules/docker_node."
}

variable "app_env" {
  type        = map(string)
  description = "Container environment (tokens included). Sensitive: pass it as TF_VAR_app_env."
  default     = {}
  sensitive   = true
  nullable    = false
}

variable "app_ports" {
  type = list(object({
    internal = number
    external = optional(number)
    ip       = optional(string, "127.0.0.1")
    protocol = optional(string, "tcp")
  }))
  description = "Published ports; see modules/docker_node (default bind address 127.0.0.1)."
  default     = []
  nullable    = false
}

variable "labels" {
  type        = map(string)
  description = "Extra container labels."
  default     = {}
  nullable    = false
}

variable "restart_policy" {
  type        = string
  description = "Docker restart policy: no, on-failure, always or unless-stopped."
  default     = "unless-stopped"
}

variable "healthcheck" {
  type = object({
    test         = list(string)
    interval     = optional(string, "10s")
    timeout      = optional(string, "3s")
    start_period = optional(string, "5s")
    retries      = optional(number, 3)
    wait_timeout = optional(number, 60)
  })
  description = "Container healthcheck; see modules/docker_node. null keeps the image's own."
  default     = null
}

variable "command" {
  type        = list(string)
  description = "Container command (argv); null keeps the image's CMD."
  default     = null
}

variable "pull_policy" {
  type        = string
  description = "missing, always or never; see modules/docker_node."
  default     = "missing"
}
