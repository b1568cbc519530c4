import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { Provider } from 'urql';
import { createDashboardClient } from './api/client';
import { App } from './App';
import './styles.css';

const { client, close } = createDashboardClient();

/** Ends the session on the server (every replica refuses its token from now on), then reloads signed out. */
async function signOut(): Promise<void> {
  close();
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
  window.location.assign('/');
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Provider value={client}>
      <BrowserRouter>
        <App onSignOut={() => void signOut()} />
      </BrowserRouter>
    </Provider>
  </StrictMode>,
);
