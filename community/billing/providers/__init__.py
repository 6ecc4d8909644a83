"""Payment providers' wire formats: signatures, encryption, notification bodies.

Pure code (bytes and keys in, facts out): the services decide what a verified notification
means for the ledger. Network calls to a provider go through ``gateways`` so tests replace
only what is outside.
"""
