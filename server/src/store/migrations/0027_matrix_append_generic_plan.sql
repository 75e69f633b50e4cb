-- matrix_append_messages plans its query once per connection. Left to choose,
-- PL/pgSQL planned it anew on every call (a custom plan for each batch's
-- arrays): 0.5 ms of planning a batch, twice the statement's own run time,
-- always ending in the same plan, since nothing in it depends on the values.
ALTER FUNCTION matrix_append_messages(text[], text[], text[], text[], text[], text[], text[], text[], bigint)
  SET plan_cache_mode = force_generic_plan;
