/** A browser's side of the BFF: its cookies, the CSRF header echoed from one of them. */
export function browser(baseUrl: string) {
  const cookies = new Map<string, string>();
  const graphql = async <T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
  ) => {
    const csrf = cookies.get('__Host-girok_csrf');
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }),
      },
      body: JSON.stringify({ query, variables }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const value = pair.slice(index + 1);
      if (value === '') cookies.delete(pair.slice(0, index));
      else cookies.set(pair.slice(0, index), value);
    }
    const body = (await response.json()) as {
      data: T | null;
      errors?: { message: string; extensions: { code: string } }[];
    };
    return { status: response.status, data: body.data, errors: body.errors ?? [] };
  };
  return { graphql, prepare: () => graphql('query { csrfToken }') };
}
