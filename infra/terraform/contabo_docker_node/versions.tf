terraform {
  required_version = ">= 1.9.0"

  required_providers {
    contabo = {
      source = "contabo/contabo"
      # 0.1.30 is what the bench builds from vendored sources; the registry serves up to 0.1.42 (see README).
      version = "~> 0.1.30"
    }
  }
}
