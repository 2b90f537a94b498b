-- name: CreateTable :one
INSERT INTO tables (id, base_id, name) VALUES ($1, $2, $3) RETURNING *;

-- name: GetTable :one
SELECT * FROM tables WHERE id = $1;

-- name: ListTables :many
SELECT * FROM tables WHERE base_id = $1 ORDER BY created_at, id;

-- name: DeleteTable :execrows
DELETE FROM tables WHERE id = $1;

-- name: GetTableWithFields :one
-- A table and its fields (as a JSON array in display order) in one round trip.
SELECT t.id, t.base_id, t.name, t.created_at, t.schema_version,
       coalesce((SELECT json_agg(json_build_object('id', f.id, 'name', f.name, 'type', f.type, 'options', f.options) ORDER BY f.position)
                 FROM fields f WHERE f.table_id = t.id), '[]')::jsonb AS fields
FROM tables t WHERE t.id = $1;
