"""The contact-centers example: two tenants from one program (see __main__.py)."""
