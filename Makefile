# The README's entry points.
.PHONY: run test api e2e bench soak cluster cluster-test bench-scale openapi

run:      ## the whole system: API on :8000 (SQLite by default) and web app on :3000
	bash scripts/run.sh

test:     ## every test: Rust (SQLite + PostgreSQL), frontend, browser, robustness
	bash scripts/test.sh

api:      ## the release-built API alone, configured by the environment (ARGS=--help lists every variable)
	bash scripts/build-deps.sh
	cargo build --release --locked --manifest-path backend/Cargo.toml
	backend/target/release/todo-auth-api $(ARGS)

e2e:      ## the browser journeys alone
	bash frontend/scripts/e2e.sh

bench:    ## side-by-side benchmark against the seed's FastAPI backend (not part of make test)
	bash bench/run.sh

soak:     ## a few minutes of mixed load, reporting errors, p99 and memory (not part of make test)
	bash scripts/soak.sh

cluster:  ## one origin :8080 (nginx, deploy/nginx): /api to CLUSTER_SIZE (3) API processes on one PostgreSQL, pages to CLUSTER_WEB_SIZE (2) web processes
	bash scripts/cluster.sh

cluster-test: ## the cluster tests alone (also a make test stage): sign-out, throttling, one origin, rolling restarts, SIGKILL through nginx
	bash scripts/test.d/60-cluster.sh

bench-scale: ## latency on 1,000,000 users and 10,000,000 tasks vs 1,000 users, query plans (not part of make test)
	bash bench/scale.sh

openapi:  ## after changing a route or a schema: docs/openapi.json from the API, frontend/lib/api-schema.ts from it (tests fail until then)
	cargo run --release --locked --quiet --manifest-path backend/Cargo.toml -- --openapi > docs/openapi.json
	cd frontend && npm run gen:api
