"""Privacy and the law: consents, a person's requests, retention, incidents (Law 25, CASL)."""
