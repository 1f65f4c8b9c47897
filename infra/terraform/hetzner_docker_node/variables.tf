variable "hcloud_token" {
  type        = string
  description = "Hetzner Cloud API token (read/write). Sensitive: pass it as TF_VAR_hcloud_token."
  sensitive   = true

  validation {
    condition     = length(var.hcloud_token) == 64
    error_message = "hcloud_token must be the 64-character API token from Hetzner Console > Security > API tokens."
  }
}

variable "name" {
  type        = string
  description = "Server name, also the prefix of the SSH key and firewall names (RFC 1123 hostname label)."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase hostname label: a-z, 0-9 and '-', 1 to 63 characters, not starting or ending with '-'."
  }
}

variable "server_type" {
  type        = string
  description = "x86 server type, for example cx23, cx33, cpx22 or ccx13 (ARM cax* types are not supported: the debug-server image is amd64)."
  default     = "cx23"

  validation {
    condition     = can(regex("^c(x|px|cx)[0-9]+$", var.server_type))
    error_message = "server_type must be an x86 type: cx*, cpx* or ccx* (for example cx23)."
  }
}

variable "image" {
  type        = string
  description = "OS image with cloud-init: debian-12, debian-13, ubuntu-24.04 or ubuntu-22.04."
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "debian-13", "ubuntu-24.04", "ubuntu-22.04"], var.image)
    error_message = "image must be one of: debian-12, debian-13, ubuntu-24.04, ubuntu-22.04."
  }
}

variable "location" {
  type        = string
  description = "Hetzner location: fsn1, nbg1, hel1, ash, hil or sin."
  default     = "fsn1"

  validation {
    condition     = contains(["fsn1", "nbg1", "hel1", "ash", "hil", "sin"], var.location)
    error_message = "location must be one of: fsn1, nbg1, hel1, ash, hil, sin."
  }
}

variable "operator_ssh_public_key" {
  type        = string
  description = "The operator's public key (ssh-ed25519 AAAA...). Registered as the Hetzner SSH key (which also keeps Hetzner from mailing a root password); cloud-init installs it for the deploy user."

  validation {
    condition     = can(regex("^ssh-(ed25519|rsa) [A-Za-z0-9+/=]+( .*)?$", var.operator_ssh_public_key))
    error_message = "operator_ssh_public_key must be one OpenSSH public key line: ssh-ed25519 AAAA... [comment]."
  }
}

variable "user_data" {
  type        = string
  description = "Rendered #cloud-config (Docker, deploy user, the pre-generated host key). Sensitive because it holds the host private key: pass it as TF_VAR_user_data. Changing it REPLACES the server."
  sensitive   = true

  validation {
    condition     = startswith(var.user_data, "#cloud-config\n") && length(var.user_data) <= 32768
    error_message = "user_data must be a #cloud-config document of at most 32 KiB (render it with renderCloudInit)."
  }
}

variable "ssh_user" {
  type        = string
  description = "The non-root user cloud-init creates (in the docker group); reported in outputs."
  default     = "deploy"
}

variable "host_key_fingerprint" {
  type        = string
  description = "SHA256 fingerprint of the pre-generated ed25519 host key inside user_data; reported in outputs so the CLI pins it."

  validation {
    condition     = can(regex("^SHA256:[A-Za-z0-9+/]{43}$", var.host_key_fingerprint))
    error_message = "host_key_fingerprint must look like SHA256:<43 base64 characters> (ssh-keygen -l -E sha256)."
  }
}

variable "ssh_source_ranges" {
  type        = list(string)
  description = "CIDRs allowed to reach SSH (port 22), for example [\"203.0.113.7/32\"]."

  validation {
    condition     = length(var.ssh_source_ranges) > 0 && alltrue([for c in var.ssh_source_ranges : can(cidrhost(c, 0))])
    error_message = "ssh_source_ranges must be a non-empty list of CIDRs such as 203.0.113.7/32 or 2001:db8::/48."
  }
}

variable "app_firewall_ports" {
  type = list(object({
    port          = number
    protocol      = optional(string, "tcp")
    source_ranges = list(string)
  }))
  description = "App ports opened in the firewall beyond SSH, each to its own source CIDRs. Empty (the default) when the app is reached only through SSH tunnels. The Docker API ports 2375/2376 can never be listed."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for r in var.app_firewall_ports : r.port >= 1 && r.port <= 65535 && floor(r.port) == r.port && !contains([22, 2375, 2376], r.port)])
    error_message = "app_firewall_ports: port must be a whole number from 1 to 65535 and not 22 (always open to ssh_source_ranges) nor 2375/2376 (the Docker API)."
  }

  validation {
    condition     = alltrue([for r in var.app_firewall_ports : contains(["tcp", "udp"], r.protocol)])
    error_message = "app_firewall_ports: protocol must be one of: tcp, udp."
  }

  validation {
    condition     = alltrue([for r in var.app_firewall_ports : length(r.source_ranges) > 0 && alltrue([for c in r.source_ranges : can(cidrhost(c, 0))])])
    error_message = "app_firewall_ports: source_ranges must be a non-empty list of CIDRs."
  }
}

variable "docker_tls_source_ranges" {
  type        = list(string)
  description = "CIDRs allowed to reach the mutual-TLS Docker API on 2376 (only when the user data enables TLS mode). Never the whole internet."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.docker_tls_source_ranges : can(cidrhost(c, 0)) && !contains(["0.0.0.0/0", "::/0"], c)])
    error_message = "docker_tls_source_ranges must be CIDRs narrower than the whole internet (0.0.0.0/0 and ::/0 are refused)."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels on the server, SSH key and firewall (managed-by = debug-cloud is always added)."
  default     = {}
  nullable    = false
}
