"""DIDs: did:key resolved locally, did:web over an injected HTTP client, one resolver protocol."""
