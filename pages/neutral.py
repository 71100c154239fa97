"""The neutral page quick exit leads to: an everyday recipe, nothing about health or this app."""

import streamlit as st

from pages import state

st.title("Recipes", anchor=False)
st.header("Simple vegetable soup", anchor=False)
st.write("Serves 4. Ready in about 40 minutes.")
st.subheader("Ingredients", anchor=False)
st.markdown(
    "- 1 onion, chopped\n- 2 carrots, sliced\n- 2 potatoes, diced\n- 1 leek, sliced\n"
    "- 1 litre vegetable stock\n- 1 tablespoon oil\n- Salt and pepper"
)
st.subheader("Method", anchor=False)
st.markdown(
    "1. Warm the oil in a large pan and soften the onion and leek for 5 minutes.\n"
    "2. Add the carrots, potatoes and stock. Bring to the boil.\n"
    "3. Simmer for 25 minutes until the vegetables are soft.\n"
    "4. Season, then blend if you like it smooth."
)

st.divider()
st.button("Sign in", type="tertiary", on_click=state.leave_neutral)  # no key: quick exit leaves nothing in the session
