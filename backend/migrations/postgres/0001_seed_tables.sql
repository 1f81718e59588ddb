-- The seed's tables exactly as SQLModel's create_all makes them on PostgreSQL. IF NOT EXISTS: on a
-- database the seed already created, this migration changes nothing.
CREATE TABLE IF NOT EXISTS users (
    id character varying NOT NULL PRIMARY KEY,
    email character varying NOT NULL,
    hashed_password character varying NOT NULL,
    name character varying,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_users_email ON users (email);

CREATE TABLE IF NOT EXISTS tasks (
    id character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL REFERENCES users (id),
    title character varying(200) NOT NULL,
    description character varying(1000),
    is_completed boolean NOT NULL,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_tasks_is_completed ON tasks (is_completed);
CREATE INDEX IF NOT EXISTS ix_tasks_user_id ON tasks (user_id);
