"""Kelola's domain: models, services, errors and events. Nothing here knows GraphQL."""

import warnings

import authlib.deprecate  # noqa: F401 - its own filter must be in place before ours

# authlib 1.9 nudges toward httpx2; httpx is what the rest of Kelola (and gql) uses.
warnings.filterwarnings("ignore", message="The httpx module is deprecated")
