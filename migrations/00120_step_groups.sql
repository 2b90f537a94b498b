-- +goose Up
-- Groups (if / for_each steps): a step executed inside a group has a row
-- of its own, under the step_index of its top-level group, identified by
-- its path ("each[37].update", "route.b1.notify"; '' for a top-level
-- step's row). parent is the path of the group around it ('' for a
-- top-level group's inner steps the group's id), item_index the for_each
-- item it ran for, ordinal its place in the run's execution order within
-- its top-level group (run detail lists rows by step_index, ordinal).
ALTER TABLE run_steps ADD COLUMN path text NOT NULL DEFAULT '';
ALTER TABLE run_steps ADD COLUMN parent text;
ALTER TABLE run_steps ADD COLUMN item_index integer;
ALTER TABLE run_steps ADD COLUMN ordinal integer NOT NULL DEFAULT 0;
ALTER TABLE run_steps DROP CONSTRAINT run_steps_pkey;
ALTER TABLE run_steps ADD PRIMARY KEY (run_id, step_index, path);
-- max_steps: the most step executions one run of the automation may make
-- (NULL: the default, 1,000). Also in each version's definition.
ALTER TABLE automations ADD COLUMN max_steps integer;

-- +goose Down
ALTER TABLE automations DROP COLUMN max_steps;
DELETE FROM run_steps WHERE path <> '';
ALTER TABLE run_steps DROP CONSTRAINT run_steps_pkey;
ALTER TABLE run_steps ADD PRIMARY KEY (run_id, step_index);
ALTER TABLE run_steps DROP COLUMN ordinal;
ALTER TABLE run_steps DROP COLUMN item_index;
ALTER TABLE run_steps DROP COLUMN parent;
ALTER TABLE run_steps DROP COLUMN path;
