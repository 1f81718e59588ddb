# The README's entry points.
.PHONY: run test api e2e bench soak

run:      ## the whole system: API on :8000 (SQLite by default) and web app on :3000
	bash scripts/run.sh

test:     ## every test: Rust (SQLite + PostgreSQL), frontend, browser, robustness
	bash scripts/test.sh

api:      ## the release-built API alone, configured by the environment (ARGS=--help lists every variable)
	cargo build --release --locked --manifest-path backend/Cargo.toml
	backend/target/release/todo-auth-api $(ARGS)

e2e:      ## the browser journeys alone
	bash frontend/scripts/e2e.sh

bench:    ## side-by-side benchmark against the seed's FastAPI backend (not part of make test)
	bash bench/run.sh

soak:     ## a few minutes of mixed load, reporting errors, p99 and memory (not part of make test)
	bash scripts/soak.sh
