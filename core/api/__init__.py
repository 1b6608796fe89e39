"""What every app's ``api/`` shares: error answers, ETags, idempotent POSTs."""
