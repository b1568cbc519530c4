import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { Provider } from 'urql';
import { createDashboardClient } from './api/client';
import { App } from './App';
import { LiveConnectionContext } from './features/reviews/live';
import './styles.css';

const { client, close, onConnected, onSessionEnded } = createDashboardClient();

/** Ends the session on the server (every replica refuses its token from now on), then reloads signed out. */
async function signOut(): Promise<void> {
  close();
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
  window.location.assign('/');
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Provider value={client}>
      <LiveConnectionContext.Provider value={onConnected}>
        <BrowserRouter>
          <App onSignOut={() => void signOut()} onSessionEnded={onSessionEnded} />
        </BrowserRouter>
      </LiveConnectionContext.Provider>
    </Provider>
  </StrictMode>,
);
