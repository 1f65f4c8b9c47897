terraform {
  # Cross-variable validation and optional object attributes with defaults need 1.9.
  required_version = ">= 1.9.0"

  required_providers {
    docker = {
      source  = "kreuzwerker/docker"
      version = "4.6.0"
    }
  }
}
