"""Sharing: access grants on resources, and the rules that read them."""
