variable "contabo_credentials" {
  type = object({
    client_id     = string
    client_secret = string
    user          = string
    password      = string
  })
  description = "Contabo API credentials (Customer Control Panel > Account > API): OAuth2 client id and secret, API user (login e-mail) and API password. Sensitive: pass them as TF_VAR_contabo_credentials."
  sensitive   = true

  validation {
    condition     = alltrue([for v in values(var.contabo_credentials) : length(trimspace(v)) > 0])
    error_message = "contabo_credentials: client_id, client_secret, user and password must all be set."
  }
}

variable "name" {
  type        = string
  description = "Display name of the instance and name of the SSH key secret (RFC 1123 hostname label)."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase hostname label: a-z, 0-9 and '-', 1 to 63 characters, not starting or ending with '-'."
  }
}

variable "product_id" {
  type        = string
  description = "Contabo x86 VPS product, for example V92 (Cloud VPS 10 NVMe); see https://api.contabo.com/#tag/Instances/operation/createInstance."
  default     = "V92"

  validation {
    condition     = can(regex("^V[0-9]+$", var.product_id))
    error_message = "product_id must be a Contabo VPS product id such as V92."
  }
}

variable "region" {
  type        = string
  description = "Contabo region: EU, US-central, US-east, US-west or SIN."
  default     = "EU"

  validation {
    condition     = contains(["EU", "US-central", "US-east", "US-west", "SIN"], var.region)
    error_message = "region must be one of: EU, US-central, US-east, US-west, SIN."
  }
}

variable "image_id" {
  type        = string
  description = "UUID of a Debian 12 or Ubuntu image with cloud-init (list them with `cntb get images`). Changing it reinstalls the VM, so it is ignored after creation."

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.image_id))
    error_message = "image_id must be a lowercase UUID (see `cntb get images`)."
  }
}

variable "period" {
  type        = number
  description = "Contract period in months: 1, 3, 6 or 12. The contract is billed for the whole period even if destroyed earlier."
  default     = 1

  validation {
    condition     = contains([1, 3, 6, 12], var.period)
    error_message = "period must be one of: 1, 3, 6, 12."
  }
}

variable "operator_ssh_public_key" {
  type        = string
  description = "The operator's public key (ssh-ed25519 AAAA...), stored as a Contabo ssh secret; cloud-init installs it for the deploy user."

  validation {
    condition     = can(regex("^ssh-(ed25519|rsa) [A-Za-z0-9+/=]+( .*)?$", var.operator_ssh_public_key))
    error_message = "operator_ssh_public_key must be one OpenSSH public key line: ssh-ed25519 AAAA... [comment]."
  }
}

variable "user_data" {
  type        = string
  description = "Rendered #cloud-config with the host firewall (nftables), Docker, the deploy user and the pre-generated host key. Sensitive (host private key; Contabo keeps it in state verbatim): pass it as TF_VAR_user_data. Ignored after creation, because a change would reinstall the VM."
  sensitive   = true

  validation {
    condition     = startswith(var.user_data, "#cloud-config\n")
    error_message = "user_data must be a #cloud-config document (render it with renderCloudInit)."
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
