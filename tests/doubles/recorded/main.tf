terraform {
}
resource "terraform_data" "x" {
  input = "a"
}
output "o" {
  value = terraform_data.x.id
}
