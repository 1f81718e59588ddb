-- The seed's tables exactly as SQLModel's create_all makes them on SQLite. IF NOT EXISTS: on a database
-- the seed already created, this migration changes nothing.
CREATE TABLE IF NOT EXISTS users (
	id VARCHAR NOT NULL,
	email VARCHAR NOT NULL,
	hashed_password VARCHAR NOT NULL,
	name VARCHAR,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_users_email ON users (email);

CREATE TABLE IF NOT EXISTS tasks (
	id VARCHAR NOT NULL,
	user_id VARCHAR NOT NULL,
	title VARCHAR(200) NOT NULL,
	description VARCHAR(1000),
	is_completed BOOLEAN NOT NULL,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS ix_tasks_is_completed ON tasks (is_completed);
CREATE INDEX IF NOT EXISTS ix_tasks_user_id ON tasks (user_id);
