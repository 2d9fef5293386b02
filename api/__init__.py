"""The GraphQL API: strawberry types and thin resolvers over the domain."""
