"""Edge helpers every party shares below the contract's pure code: durable private files, the message catalogues."""
