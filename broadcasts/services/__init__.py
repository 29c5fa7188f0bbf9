"""Business logic of sessions and broadcasts: create, dispatch, retry, trigger, cancel, sweep."""
