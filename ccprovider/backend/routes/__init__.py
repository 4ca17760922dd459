"""The backend's HTTP routes, one module per part of the vendor's API."""
