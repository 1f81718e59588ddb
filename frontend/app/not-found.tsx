import Link from "next/link";

export const metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <section className="centered-card card" aria-labelledby="nf-title">
      <p className="eyebrow">404</p>
      <h1 id="nf-title">Page not found</h1>
      <p className="muted">The page you asked for does not exist or has moved.</p>
      <div className="hero-actions">
        <Link href="/" className="btn btn-primary">
          Back to the home page
        </Link>
        <Link href="/tasks" className="btn btn-secondary">
          Your tasks
        </Link>
      </div>
    </section>
  );
}
