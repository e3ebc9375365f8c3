"""Policy backends: where effects live (HTTP, local models) and exact tables."""
