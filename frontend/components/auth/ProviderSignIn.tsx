"use client";

import { useSearchParams } from "next/navigation";
import { Children, useEffect, useState } from "react";
import { providersApi } from "@/lib/api";
import { providerErrorMessage } from "@/lib/providers";
import type { ProviderInfo } from "@/lib/types";

/**
 * "Continue with <name>" for each configured provider (none when none is), above the email form of /login and
 * /register, and the message of a provider sign-in that came back with `?error=<code>&provider=<id>`. Each
 * button is a plain link: the browser goes to the API, the provider, and back signed in on `next`.
 * `children`: the page's other ways in that need no email (/login: "Sign in with a passkey"), after the
 * providers' buttons; one "or with your email" then parts all of them from the email form.
 */
export function ProviderSignIn({ next, children }: { next: string | null; children?: React.ReactNode }) {
  const params = useSearchParams();
  const [providers, setProviders] = useState<ProviderInfo[]>([]);
  const errorCode = params.get("error");
  const errorProvider = params.get("provider");

  useEffect(() => {
    const controller = new AbortController();
    providersApi
      .list(controller.signal)
      .then((res) => setProviders(res.providers))
      // Without the list there are no buttons; the email form still works.
      .catch(() => undefined);
    return () => controller.abort();
  }, []);

  const named = providers.find((p) => p.id === errorProvider)?.name ?? "The provider";
  const message = providerErrorMessage(errorCode, named);
  return (
    <>
      {message ? (
        <p role="alert" className="form-error provider-error" data-testid="provider-error">
          {message}
        </p>
      ) : null}
      {providers.length > 0 || Children.count(children) > 0 ? (
        <div className="provider-sign-in">
          {providers.map((p) => (
            <a key={p.id} className="btn btn-secondary btn-block" href={providersApi.startUrl(p.id, next)}>
              Continue with {p.name}
            </a>
          ))}
          {children}
          <p className="auth-divider">
            <span>or with your email</span>
          </p>
        </div>
      ) : null}
    </>
  );
}
