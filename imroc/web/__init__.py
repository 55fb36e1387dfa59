"""What the HTML routes and the JSON API share: forms, downloads, kept pages."""
