variable "app_name" {
  type        = string
  description = "Name of the container (and prefix of its labels). Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters."

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$", var.app_name))
    error_message = "app_name must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$, for example \"debug-server\"."
  }
}

variable "app_image" {
  type        = string
  description = "Image reference of the application, for example \"ghcr.io/acme/debug-server:1.4.2\" or an image already present on the Docker host."

  validation {
    condition     = can(regex("^[^\\s]+$", var.app_image))
    error_message = "app_image must be a non-empty image reference without whitespace, for example \"ghcr.io/acme/debug-server:1.4.2\"."
  }
}

variable "docker_host" {
  type        = string
  description = "The Docker endpoint the caller's docker provider is configured with (ssh://user@host:port, tcp://host:2376 or unix:///path). Used for the effective_docker_host output and to build endpoint URLs."

  validation {
    condition     = can(regex("^(ssh|tcp|unix)://", var.docker_host))
    error_message = "docker_host must start with one of: ssh://, tcp://, unix://."
  }
}

variable "env" {
  type        = map(string)
  description = "Environment variables of the container (tokens included), as NAME = value. Sensitive: pass it as TF_VAR_env, never in a tfvars file."
  default     = {}
  sensitive   = true
  nullable    = false

  validation {
    condition     = alltrue([for name in keys(var.env) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))])
    error_message = "Every env name must match ^[A-Za-z_][A-Za-z0-9_]*$ (letters, digits and '_', not starting with a digit)."
  }
}

variable "app_ports" {
  type = list(object({
    internal = number
    external = optional(number)
    ip       = optional(string, "127.0.0.1")
    protocol = optional(string, "tcp")
  }))
  description = "Ports to publish. external defaults to internal; ip is the address on the Docker host to bind (default 127.0.0.1, so the app is reached through an SSH tunnel); protocol is tcp, udp or sctp."
  default     = []
  nullable    = false

  validation {
    condition = alltrue([for p in var.app_ports : floor(p.internal) == p.internal && p.internal >= 1 && p.internal <= 65535 && (
      p.external == null ? true : (floor(p.external) == p.external && p.external >= 1 && p.external <= 65535)
    )])
    error_message = "app_ports: internal and external must be whole numbers from 1 to 65535."
  }

  validation {
    condition     = alltrue([for p in var.app_ports : contains(["tcp", "udp", "sctp"], p.protocol)])
    error_message = "app_ports: protocol must be one of: tcp, udp, sctp."
  }

  validation {
    condition     = alltrue([for p in var.app_ports : can(cidrhost("${p.ip}/32", 0)) || can(cidrhost("${p.ip}/128", 0))])
    error_message = "app_ports: ip must be an IPv4 or IPv6 address such as 127.0.0.1 (loopback, reached through SSH tunnels), 0.0.0.0 or ::."
  }

  validation {
    condition = length(var.app_ports) == length(distinct([
      for p in var.app_ports : "${p.ip}/${coalesce(p.external, p.internal)}/${p.protocol}"
    ]))
    error_message = "app_ports: each (ip, external port, protocol) may be published only once."
  }
}

variable "labels" {
  type        = map(string)
  description = "Extra container labels. The module always adds debug-cloud.managed = \"true\" and debug-cloud.app = app_name."
  default     = {}
  nullable    = false
}

variable "restart_policy" {
  type        = string
  description = "Docker restart policy: no, on-failure, always or unless-stopped."
  default     = "unless-stopped"

  validation {
    condition     = contains(["no", "on-failure", "always", "unless-stopped"], var.restart_policy)
    error_message = "restart_policy must be one of: no, on-failure, always, unless-stopped."
  }
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
  description = "Container healthcheck like Dockerfile HEALTHCHECK (test starts with CMD or CMD-SHELL). When set, apply waits up to wait_timeout seconds for the container to be healthy. null keeps the image's own healthcheck."
  default     = null

  validation {
    condition     = var.healthcheck == null ? true : (length(var.healthcheck.test) >= 2 && contains(["CMD", "CMD-SHELL"], var.healthcheck.test[0]))
    error_message = "healthcheck.test must start with CMD or CMD-SHELL followed by the command, for example [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/healthz\"]."
  }

  validation {
    condition = var.healthcheck == null ? true : alltrue([
      for d in [var.healthcheck.interval, var.healthcheck.timeout, var.healthcheck.start_period] : can(regex("^[0-9]+(ms|s|m|h)$", d))
    ])
    error_message = "healthcheck interval, timeout and start_period must be durations such as 500ms, 10s, 1m or 1h."
  }
}

variable "command" {
  type        = list(string)
  description = "Command (argv) of the container; null keeps the image's CMD."
  default     = null
}

variable "pull_policy" {
  type        = string
  description = "How the image is obtained: missing (pull only when the host lacks it), always (re-pull when the registry digest of the tag changes; needs registry access at plan time) or never (use an image already on the host; plan fails when it is absent)."
  default     = "missing"

  validation {
    condition     = contains(["missing", "always", "never"], var.pull_policy)
    error_message = "pull_policy must be one of: missing, always, never."
  }
}

variable "keep_image_locally" {
  type        = bool
  description = "Keep the image on the Docker host when the container is destroyed (true avoids deleting an image other containers use)."
  default     = true
}
