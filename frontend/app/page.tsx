import { LandingActions } from "@/components/LandingActions";

const FEATURES = [
  { title: "Yours alone", text: "Every list belongs to one account. Nobody else can read, change or even find your tasks." },
  { title: "Quick to use", text: "Add, edit, complete and filter tasks from the keyboard, on a phone or a wide screen." },
  { title: "Real sign-out", text: "Signing out ends the session on the server. Lost a device? Sign out everywhere at once." },
];

export default function HomePage() {
  return (
    <div className="landing">
      <section className="hero" aria-labelledby="hero-title">
        <p className="eyebrow">Email &amp; password accounts · private task lists</p>
        <h1 id="hero-title">Keep track of what matters, and nothing else.</h1>
        <p className="lead">
          Todo is a simple task list: write down what you have to do, tick it off when it is done, and pick it up
          again from any browser after you sign in.
        </p>
        <LandingActions />
      </section>
      <section className="features" aria-label="Features">
        {FEATURES.map((f) => (
          <article key={f.title} className="card feature">
            <h2>{f.title}</h2>
            <p>{f.text}</p>
          </article>
        ))}
      </section>
    </div>
  );
}
