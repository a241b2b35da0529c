"""Reading results: a self-check's scores and suggestions, and the leader's overview."""
