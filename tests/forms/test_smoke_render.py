def test_render_every_page(fclient, spec):
    for page in spec.pages:
        response = fclient.get(f"/essai/{page.id}")
        assert response.status_code == 200, response.get_data(as_text=True)
